"""The eval suite: hand labels, the scorer and the `factsheet eval` command."""
