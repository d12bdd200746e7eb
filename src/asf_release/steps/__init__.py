"""One module per step of the release process, all with the same small interface (base.Step)."""
