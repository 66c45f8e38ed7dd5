"""Read models of the pharmacy (built in the read-side issue)."""
