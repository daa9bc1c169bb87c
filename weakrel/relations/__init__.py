"""The relation kinds, each built on weakrel's core (``base``, ``keys``, ``related``,
``lookups``, ``deletion``, ``enforcement``) and none importing another:

* ``foreign_key``: BelongsTo (``WeakForeignKey``), HasOne (``WeakOneToOneField``) and
  their reverse sides, HasMany and HasOne (the target's field in ``foreign_key_reverse``,
  accessors in ``foreign_key_descriptors``, the HasMany manager in
  ``foreign_key_managers``);
* ``many_to_many``: HasManyThrough (``WeakManyToManyField``);
* ``references``: ReferencesMany (``WeakReferencesMany``; accessors in
  ``references_descriptors``, lookups in ``references_lookups``).
"""
