print("rmqstore")
