// kcx's entry point: builds the live context from the real process and exits with the code.
print("kcx: not built yet")
