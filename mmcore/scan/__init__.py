"""The master-tree scanner ("UMDL"): what the master holds, fast, incremental, from any source.

* :mod:`mmcore.scan.source` -- the :class:`~mmcore.scan.source.ScannerSource` protocol and the
  records sources stream (one :class:`~mmcore.scan.source.ScannedDirectory` per directory);
* :mod:`mmcore.scan.sources` -- the built-in ``directory`` and ``fullfiletimelist`` sources;
* :mod:`mmcore.scan.listing` -- turning a flat listing (fullfiletimelist, rsync) into directories;
* :mod:`mmcore.scan.repomap` -- repository prefix rules, as data;
* :mod:`mmcore.scan.metadata` -- repomd.xml and checksum-file parsing;
* :mod:`mmcore.scan.engine` -- the scan of one category: compare, decide, hand writes to the store;
* :mod:`mmcore.scan.store` -- :class:`~mmcore.scan.store.ScanStore`, what the engine needs stored;
* :mod:`mmcore.scan.config` -- the ``[umdl]`` configuration section;
* :mod:`mmcore.scan.plugin` -- the built-in plugin (config section, sources, ``umdl`` command).
"""
