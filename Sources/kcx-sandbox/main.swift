print("kcx-sandbox: not built yet")
