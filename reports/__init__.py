"""reports: the briefings of a unit for meetings (PNG, PDF, PPTX, an offline HTML map), and the
way numbers are written (``fmt``). Used by the command line and by the dashboard's downloads;
it needs no server. It imports ``geodata`` only.
"""
