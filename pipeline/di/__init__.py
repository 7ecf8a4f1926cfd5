"""Born-digital official documents (電子公文): DI/SI packages as one document each.

``sniff`` recognises packages, ``xmlsafe`` reads their XML without expanding entities,
``parse`` turns DI and SI into plain data, ``render`` makes the reading copy, ``package``
is the ingest step and ``metadata`` stores tags, parts and the sign-off chain. See
``docs/born-digital.md``.
"""
