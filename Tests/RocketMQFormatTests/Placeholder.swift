import Testing

@Test func placeholder_RocketMQFormatTests() {}
