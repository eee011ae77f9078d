from gsctl.cli import main

main()
