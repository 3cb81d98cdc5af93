"""This repository: where things live, each environment's facts, the layers, its own YAML, git."""
