"""Lessons and labs: shared widgets, the labs' jobs, the curriculum map."""
