/**
 * Whether Kafka answers, asked every few seconds with a metadata request on an existing client. Broker
 * connection states cannot tell: an idle librdkafka client closes connections it does not need, and then
 * looks exactly like one whose brokers are gone.
 */
import Kafka from 'node-rdkafka';
import { rdkafkaOptions, type KafkaConnection } from '../config/kafka.js';
import { disconnectWithin } from '../kafka/disconnect.js';

const EVERY_MS = 5000;
/** No answer for this long means not reachable. */
const STALE_MS = 15_000;
/** A standalone probe's client unanswered this long is replaced by a new one. */
const REPLACE_AFTER_MS = 45_000;

export class KafkaProbe {
  private lastOkMs = Date.now();
  private lastError = '';
  private inFlight = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly client: Pick<Kafka.Producer, 'getMetadata'>) {
    this.timer = setInterval(() => this.ask(), EVERY_MS);
    this.timer.unref();
  }

  /** How long since Kafka last answered this client. */
  get quietMs(): number {
    return Date.now() - this.lastOkMs;
  }

  /** Undefined while Kafka answers; otherwise why it is considered unreachable. */
  get problem(): string | undefined {
    const quiet = Date.now() - this.lastOkMs;
    if (quiet <= STALE_MS) return undefined;
    return `Kafka has not answered a metadata request for ${Math.round(quiet / 1000)} s${this.lastError ? ` (${this.lastError})` : ''}`;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private ask(): void {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      // The topics this client already knows (none for a producer that never sends), not all of the cluster's.
      this.client.getMetadata({ allTopics: false, timeout: EVERY_MS - 500 }, (err) => {
        this.inFlight = false;
        if (err) this.lastError = err.message;
        else {
          this.lastOkMs = Date.now();
          this.lastError = '';
        }
      });
    } catch (err) {
      // A client that is disconnecting throws instead of answering.
      this.inFlight = false;
      this.lastError = (err as Error).message;
    }
  }
}

/**
 * A probe with a client of its own (a producer that never sends), for a process whose clients come and go:
 * the supervisor's consumers restart, and one probe per consumer would hold one libuv thread each while
 * Kafka is slow to answer.
 */
export class StandaloneKafkaProbe {
  private probe: KafkaProbe | undefined;
  private producer: Kafka.Producer;
  private readonly startedMs = Date.now();
  private lastError = '';
  private connecting = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly kafka: KafkaConnection) {
    this.producer = this.newProducer();
    this.connect();
    this.timer = setInterval(() => {
      // A client Kafka stopped answering may not reconnect by itself (seen after a broker restart): replace it.
      if (this.probe && this.probe.quietMs > REPLACE_AFTER_MS) this.replace();
      if (!this.probe) this.connect();
    }, EVERY_MS * 2);
    this.timer.unref();
  }

  private newProducer(): Kafka.Producer {
    return new Kafka.Producer({ ...rdkafkaOptions(this.kafka), 'allow.auto.create.topics': false } as Kafka.ProducerGlobalConfig);
  }

  private replace(): void {
    const old = this.producer;
    this.lastError = this.probe?.problem ?? this.lastError;
    this.probe?.stop();
    this.probe = undefined;
    this.producer = this.newProducer();
    void disconnectWithin(old, 5000);
  }

  get problem(): string | undefined {
    if (this.probe) return this.probe.problem;
    const quiet = Date.now() - this.startedMs;
    return quiet <= STALE_MS ? undefined : `cannot connect to Kafka (${this.lastError || 'no answer yet'})`;
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.probe?.stop();
    return this.producer.isConnected() ? disconnectWithin(this.producer, 5000) : Promise.resolve();
  }

  private connect(): void {
    if (this.connecting || this.stopped) return;
    this.connecting = true;
    this.producer.connect({ timeout: EVERY_MS * 2 }, (err) => {
      this.connecting = false;
      if (err) {
        this.lastError = err.message;
        return;
      }
      if (!this.stopped) this.probe = new KafkaProbe(this.producer);
      else this.producer.disconnect();
    });
  }
}
