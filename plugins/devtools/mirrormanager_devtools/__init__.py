"""MirrorManager's tools for trying and testing it: a synthetic deployment
(:mod:`mirrormanager_devtools.dataset`, ``mirrormanager dataset``), generated master trees and
mirror copies (:mod:`~mirrormanager_devtools.mastertree`), mirrors served on loopback over HTTP,
FTP and rsync (:mod:`~mirrormanager_devtools.mirrorserver`, :mod:`~mirrormanager_devtools.ftpd`,
:mod:`~mirrormanager_devtools.rsyncd`, :mod:`~mirrormanager_devtools.loopback`) and the demo
(``mirrormanager demo``).  The tests, the benchmarks and the demo use them; a production
deployment does not need this distribution."""
