# One publish/subscribe exchange through an MQTT broker with the original's vendored gmqtt client (MQTT 3.1.1).
# Usage: gmqtt_exchange.py HOST PORT TOPIC PAYLOAD_HEX
# A subscriber connects and subscribes (QoS 1); a second client publishes the payload (QoS 1); the subscriber's
# message is printed as one JSON line: {"topic": ..., "payload": hex, "qos": ...}. Every wait is bounded.
import asyncio
import json
import sys

from gmqtt import Client
from gmqtt.mqtt.constants import MQTTv311

LIMIT = 20


async def exchange(host, port, topic, payload):
    loop = asyncio.get_running_loop()
    received = loop.create_future()
    subscribed = loop.create_future()

    def on_message(client, msg_topic, msg_payload, qos, properties):
        if not received.done():
            received.set_result((msg_topic, msg_payload, qos))
        return 0

    def on_subscribe(client, mid, qos, properties):
        if not subscribed.done():
            subscribed.set_result(qos)

    subscriber = Client("p2pd-test-sub")
    subscriber.on_message = on_message
    subscriber.on_subscribe = on_subscribe
    await asyncio.wait_for(subscriber.connect(host, port, version=MQTTv311), LIMIT)
    subscriber.subscribe(topic, qos=1)
    await asyncio.wait_for(subscribed, LIMIT)

    publisher = Client("p2pd-test-pub")
    await asyncio.wait_for(publisher.connect(host, port, version=MQTTv311), LIMIT)
    publisher.publish(topic, payload, qos=1)
    msg_topic, msg_payload, qos = await asyncio.wait_for(received, LIMIT)
    print(json.dumps({"topic": msg_topic, "payload": bytes(msg_payload).hex(), "qos": qos}), flush=True)
    await asyncio.wait_for(publisher.disconnect(), LIMIT)
    await asyncio.wait_for(subscriber.disconnect(), LIMIT)


if __name__ == "__main__":
    asyncio.run(exchange(sys.argv[1], int(sys.argv[2]), sys.argv[3], bytes.fromhex(sys.argv[4])))
