"""Managing sites, hosts and the admin tables: the rules every frontend enforces.

The web UI and the JSON API both go through :class:`mmcore.manage.service.ManageService`, so a
rule holds whichever way a change arrives:

* :mod:`mmcore.manage.catalog` -- which tables can be managed, their fields and who may set them;
* :mod:`mmcore.manage.fields` -- parsing and validating one submitted value;
* :mod:`mmcore.manage.rules` -- who may do what with which object (the permission rules);
* :mod:`mmcore.manage.store` -- the storage protocol (plain values, paged reads);
* :mod:`mmcore.manage.public` -- the public read side (mirror list, propagation, statistics);
* :mod:`mmcore.manage.service` -- the use cases, combining the three and recording the audit log.
"""
