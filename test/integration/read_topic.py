"""Reads Avro records from a Kafka topic with Confluent's own Python client and Avro
deserializer (schema fetched from the registry by id), and prints them as JSON lines.
Proves nids speaks the standard Confluent wire format. Dev/test tool only.

usage: read_topic.py <brokers> <registry-url> <topic> <count> [timeout-s]
"""
import json
import sys
import time
import uuid

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main() -> int:
    brokers, registry_url, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    timeout_s = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"third-party-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    got = 0
    deadline = time.monotonic() + timeout_s
    try:
        while got < count and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                print(f"kafka error: {msg.error()}", file=sys.stderr)
                continue
            value = deserialize(msg.value(), SerializationContext(topic, MessageField.VALUE))
            key = msg.key().decode() if msg.key() else None
            schema_id = int.from_bytes(msg.value()[1:5], "big")
            print(json.dumps({"key": key, "schema_id": schema_id, "value": value}, default=str), flush=True)
            got += 1
    finally:
        consumer.close()
    return 0 if got >= count else 1


if __name__ == "__main__":
    sys.exit(main())
