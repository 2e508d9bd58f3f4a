"""The Root cause page: ``page.py`` reads the widgets and the URL, then draws the seven steps (one
function each) from one :class:`~ui.root_cause.context.Investigation`."""
