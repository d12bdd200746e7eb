from asf_release.cli import main

main()
