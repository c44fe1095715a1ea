"""Synthetic deployments: ``mirrormanager dataset --scale small|fedora [--seed N]``.

Fills an empty, upgraded database with a realistic MirrorManager deployment for tests and
benchmarks.  ``fedora`` is the scale of ``spec/README.md`` (about 700 hosts on 600 sites, 1,700
URLs, 10 categories, 100k directories laid out like Fedora's tree, 5k repositories, 20k file
details, 10k netblocks, 5M host category directories); ``small`` has the same shape at roughly
a hundredth of it and loads in well under a second.

The content is a pure function of ``(scale, seed)``: every table draws from its own
``random.Random`` seeded with the seed and the table's name, ids are assigned explicitly, and
time stamps count back from a fixed moment (:data:`~.reference.EPOCH`), never from the clock.

Rows are produced lazily, table by table in foreign-key order, and streamed into the store's
:meth:`mmcore.store.BulkStore.bulk_load`; only the small tables and a compact index of the
directory tree (id, path, feature bits) are held in memory, never the 5M host category
directories.

One module per job (this package imports none of them, so the command line stays light):

- :mod:`.scales`: how big (:data:`SCALES`); :mod:`.reference`: the fixed data drawn from
  (countries, architectures, categories, :data:`EPOCH`);
- :mod:`.tree` and :mod:`.layouts`: the planned master tree and what Fedora's trees hold;
- :mod:`.values` (words, names, digests, netblocks) and :mod:`.plans` (sites, hosts, host
  categories, and the :class:`Plan` every table is generated from);
- the rows of :mod:`.content_rows`, :mod:`.host_rows` and :mod:`.global_rows`, each a function
  of the plan, and :mod:`.tables` (:class:`Dataset`: the plan and every table, lazily);
- :mod:`.load` (:func:`load_dataset`) and :mod:`.command` (the ``dataset`` command).
"""
