"""The run's files: feeds written as .part and committed all or none through the journal, the CSV, corrections."""
