"""The patient's home page (``/mijn``): what to do next, gathered from the plan, the
questionnaires, the measurements and the notifications. Like the worklist it reads from
several domains, so it lives beside them rather than in one of them."""
