"""Commands people run: `python -m scripts.<name>`."""
import worker  # noqa: F401  (first: its thread settings must come before numpy is loaded)
