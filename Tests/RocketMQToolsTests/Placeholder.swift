import Testing

@Test func placeholder_RocketMQToolsTests() {}
