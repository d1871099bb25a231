"""The seed pipeline, as it was: a timestamp poller, kept as a benchmark peer.

It polls `last_updated > watermark` and moves the watermark to the newest last_updated it has sent. That is
the design being measured, flaws included: last_updated has one-second precision, so rows of the watermark's
second that it has not read yet (later writes in that second, or the rest of a batch cut by LIMIT) are never
read; a row changed twice between polls is sent once; deleted rows are never seen.

  python poller.py --topic T --since 2026-01-31T00:00:00Z [--until-idle 3] [--batch 5000]

Connection settings come from the environment: MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD,
MYSQL_DATABASE, KAFKA_BROKERS, SCHEMA_REGISTRY_URL. The last line printed is a JSON summary.
"""
import time

START = time.monotonic()

import argparse
import json
import os
import resource
import sys
from datetime import datetime, timezone
from pathlib import Path

import mysql.connector
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SQL = ('SELECT id, name, category, price, last_updated FROM `{table}` '
       'WHERE last_updated > %s ORDER BY last_updated, id LIMIT %s')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--topic', required=True)
    ap.add_argument('--table', default='product', help='the catalogue table to poll (the seed columns)')
    ap.add_argument('--since', required=True, help='ISO time; read rows with last_updated after it')
    ap.add_argument('--until-idle', type=float, default=0, help='exit after this many seconds without new rows')
    ap.add_argument('--batch', type=int, default=5000)
    ap.add_argument('--interval', type=float, default=0.1, help='seconds between polls that found nothing')
    ap.add_argument('--partitions', type=int, default=10)
    ap.add_argument('--schema', default=str(Path(__file__).resolve().parents[3] / 'schemas/product-seed.avsc'))
    args = ap.parse_args()

    env = os.environ.get
    brokers = env('KAFKA_BROKERS', '127.0.0.1:9092')
    create_topic(brokers, args.topic, args.partitions)
    registry = SchemaRegistryClient({'url': env('SCHEMA_REGISTRY_URL', 'http://127.0.0.1:8081/apis/ccompat/v7')})
    serialize = AvroSerializer(registry, Path(args.schema).read_text())
    context = SerializationContext(args.topic, MessageField.VALUE)
    producer = Producer({'bootstrap.servers': brokers})
    failed = []
    def on_delivery(err, _msg):
        if err is not None:
            failed.append(err)

    # Autocommit, or every poll reads the first poll's REPEATABLE READ snapshot and never sees new rows.
    # Session time zone UTC: the watermark and last_updated are then UTC whatever the server's zone.
    db = mysql.connector.connect(
        host=env('MYSQL_HOST', '127.0.0.1'), port=int(env('MYSQL_PORT', '3307')), user=env('MYSQL_USER', 'cdc'),
        password=env('MYSQL_PASSWORD', 'cdc-local'), database=env('MYSQL_DATABASE', 'shop'),
        autocommit=True, time_zone='+00:00')
    cursor = db.cursor()

    since = datetime.fromisoformat(args.since)
    if since.tzinfo is not None:
        since = since.astimezone(timezone.utc).replace(tzinfo=None)
    watermark = since
    rows = polls = 0
    first_row_at = last_row_at = None
    last_new = time.monotonic()
    while True:
        cursor.execute(SQL.format(table=args.table.replace('`', '``')), (watermark, args.batch))
        batch = cursor.fetchall()
        polls += 1
        if not batch:
            if args.until_idle and time.monotonic() - last_new >= args.until_idle:
                break
            time.sleep(args.interval)
            continue
        if first_row_at is None:
            first_row_at = time.monotonic()
        for id_, name, category, price, last_updated in batch:
            value = serialize({'id': id_, 'name': name, 'category': category, 'price': price,
                               'last_updated': last_updated.isoformat() + 'Z'}, context)
            while True:
                try:
                    producer.produce(args.topic, key=str(id_).encode(), value=value, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.1)
            producer.poll(0)
        # The batch is in Kafka before the watermark passes it, as a poller that stored its watermark must do.
        producer.flush()
        if failed:
            raise KafkaException(failed[0])
        rows += len(batch)
        watermark = batch[-1][4]
        last_row_at = last_new = time.monotonic()

    producer.flush()
    db.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    end = last_row_at or time.monotonic()
    print(json.dumps({
        'rows': rows, 'polls': polls, 'watermark': watermark.isoformat() + 'Z',
        # Up to the last batch's flush: the idle wait that ends the run is not work.
        'seconds': round(end - START, 3),
        'afterFirstRowSeconds': round(end - first_row_at, 3) if first_row_at else 0,
        'cpuSeconds': round(usage.ru_utime + usage.ru_stime, 2),
        'maxRssMiB': round(usage.ru_maxrss / 1024, 1),
    }), flush=True)


def create_topic(brokers, topic, partitions):
    admin = AdminClient({'bootstrap.servers': brokers})
    future = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic]
    try:
        future.result(30)
    except KafkaException as e:
        if e.args[0].name() != 'TOPIC_ALREADY_EXISTS':
            raise


if __name__ == '__main__':
    sys.exit(main())
