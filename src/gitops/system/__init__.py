"""What every other package shares with the machine: running programs, writing files atomically."""
