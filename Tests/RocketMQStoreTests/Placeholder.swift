import Testing

@Test func placeholder_RocketMQStoreTests() {}
