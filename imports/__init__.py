"""Existing registers (CSV and Excel files of grid offices and bureaus) into the same intake any producer uses,
through a mapping of their headers and value formats, with a reject report joined back from the intake."""
