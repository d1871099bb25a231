/**
 * Whether Kafka answers, asked every few seconds with a metadata request on an existing client. Broker
 * connection states cannot tell: an idle librdkafka client closes connections it does not need, and then
 * looks exactly like one whose brokers are gone.
 */
import type Kafka from 'node-rdkafka';

const EVERY_MS = 5000;
/** No answer for this long means not reachable. */
const STALE_MS = 15_000;

export class KafkaProbe {
  private lastOkMs = Date.now();
  private lastError = '';
  private inFlight = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly client: Pick<Kafka.Producer, 'getMetadata'>) {
    this.timer = setInterval(() => this.ask(), EVERY_MS);
    this.timer.unref();
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
      // Brokers only, not every topic's partitions: the smallest answer Kafka gives.
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
