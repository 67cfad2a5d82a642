from keraslint.cli import entry

entry()
