"""Self-management assessment: questionnaire definitions (data files), scoring and levels."""
