"""The daemon: APScheduler fires every push on time; the store decides what is due."""
