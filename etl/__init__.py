"""etl: readers, validation, loading and the demo generator. It writes through geodata."""
