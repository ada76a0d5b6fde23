from coord.cli.main import run

run()
