"""SQL per entity: units (the grid layer and the levels above it), households, resettlement
sites, department warnings and the log of loads. Each module is one mixin of ``Store`` that
reads and writes its own tables through the ``Database`` it is mixed into."""
