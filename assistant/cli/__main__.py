"""`python -m assistant.cli …`: the same as the `rtms-assistant` command."""

from assistant.cli import main

if __name__ == "__main__":
    main()
