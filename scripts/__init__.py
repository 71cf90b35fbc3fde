"""Commands people run: `python -m scripts.<name>`."""
