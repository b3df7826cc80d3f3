from leadhub.cli import main

main()
