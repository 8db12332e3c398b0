import type { Db } from '../database';
import { newId } from '../ids';
import { OutboxRepository } from './outbox.repository';

/** A row of `webhook_endpoints` (migrations/035). */
export interface WebhookEndpoint {
  id: string;
  name: string;
  format: 'json' | 'slack';
  display_url: string;
  encrypted_url: string;
  encrypted_secret: string | null;
  /** JSON array of event types. */
  events: string;
  enabled: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}

/** A row of `webhook_deliveries`: one event for one endpoint. */
export interface WebhookDelivery {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  /** JSON: the ids of the event. */
  data: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export type NewWebhookEndpoint = Omit<WebhookEndpoint, 'created_at' | 'updated_at' | 'enabled'>;

export class WebhookRepository {
  private readonly insertEndpoint;
  private readonly getEndpointStmt;
  private readonly listEndpointsStmt;
  private readonly deleteEndpointStmt;
  private readonly subscribedStmt;
  private readonly insertDelivery;
  private readonly getDeliveryStmt;
  private readonly listDeliveriesStmt;
  private readonly deliveredStmt;
  private readonly attemptStmt;
  private readonly failedStmt;
  private readonly resealStmt;
  private readonly outbox: OutboxRepository;

  constructor(private readonly db: Db) {
    this.insertEndpoint = db.prepare(
      `INSERT INTO webhook_endpoints (id, name, format, display_url, encrypted_url, encrypted_secret, events, enabled, created_by, created_at, updated_at)
       VALUES (@id, @name, @format, @display_url, @encrypted_url, @encrypted_secret, @events, 1, @created_by, @now, @now)`,
    );
    this.resealStmt = db.prepare(`UPDATE webhook_endpoints SET encrypted_url = ?, encrypted_secret = ? WHERE id = ?`);
    this.getEndpointStmt = db.prepare(`SELECT * FROM webhook_endpoints WHERE id = ?`);
    this.listEndpointsStmt = db.prepare(`SELECT * FROM webhook_endpoints ORDER BY created_at, id`);
    this.deleteEndpointStmt = db.prepare(`DELETE FROM webhook_endpoints WHERE id = ?`);
    this.subscribedStmt = db.prepare(
      `SELECT e.* FROM webhook_endpoints e, json_each(e.events) j WHERE e.enabled = 1 AND j.value = ? ORDER BY e.created_at, e.id`,
    );
    this.insertDelivery = db.prepare(
      `INSERT OR IGNORE INTO webhook_deliveries (id, endpoint_id, event_id, event_type, data, created_at) VALUES (@id, @endpoint_id, @event_id, @event_type, @data, @now)`,
    );
    this.getDeliveryStmt = db.prepare(`SELECT * FROM webhook_deliveries WHERE id = ?`);
    this.listDeliveriesStmt = db.prepare(`SELECT * FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY created_at DESC, id LIMIT ?`);
    this.deliveredStmt = db.prepare(
      `UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, delivered_at = ? WHERE id = ? AND state = 'pending'`,
    );
    this.attemptStmt = db.prepare(`UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ? WHERE id = ?`);
    this.failedStmt = db.prepare(
      `UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + 1, last_status = ?, last_error = ? WHERE id = ? AND state = 'pending'`,
    );
    this.outbox = new OutboxRepository(db);
  }

  createEndpoint(endpoint: NewWebhookEndpoint, now = Date.now()): WebhookEndpoint {
    this.insertEndpoint.run({ ...endpoint, now });
    return this.getEndpoint(endpoint.id)!;
  }

  getEndpoint(id: string): WebhookEndpoint | undefined {
    return this.getEndpointStmt.get(id) as WebhookEndpoint | undefined;
  }

  listEndpoints(): WebhookEndpoint[] {
    return this.listEndpointsStmt.all() as WebhookEndpoint[];
  }

  /** The endpoint's URL and secret sealed again (a key change). */
  reseal(id: string, encryptedUrl: string, encryptedSecret: string | null): void {
    this.resealStmt.run(encryptedUrl, encryptedSecret, id);
  }

  deleteEndpoint(id: string): boolean {
    return this.deleteEndpointStmt.run(id).changes === 1;
  }

  /**
   * Records one event: a delivery and its outbox job for every enabled endpoint subscribed to it, inside the
   * caller's transaction (the change that caused the event). Returns how many deliveries were queued.
   */
  emit(eventType: string, data: Record<string, string | null>, now = Date.now()): number {
    if (!this.db.inTransaction) throw new Error('a webhook event is written in the transaction of the change that caused it');
    const endpoints = this.subscribedStmt.all(eventType) as WebhookEndpoint[];
    if (endpoints.length === 0) return 0;
    const eventId = newId();
    for (const endpoint of endpoints) {
      const id = newId();
      this.insertDelivery.run({ id, endpoint_id: endpoint.id, event_id: eventId, event_type: eventType, data: JSON.stringify(data), now });
      this.outbox.add('deliver_webhook', (outbox_id) => ({ outbox_id, delivery_id: id }), now);
    }
    return endpoints.length;
  }

  getDelivery(id: string): WebhookDelivery | undefined {
    return this.getDeliveryStmt.get(id) as WebhookDelivery | undefined;
  }

  listDeliveries(endpointId: string, limit = 50): WebhookDelivery[] {
    return this.listDeliveriesStmt.all(endpointId, limit) as WebhookDelivery[];
  }

  markDelivered(id: string, status: number, now = Date.now()): boolean {
    return this.deliveredStmt.run(status, now, id).changes === 1;
  }

  markAttempt(id: string, status: number | null, error: string): void {
    this.attemptStmt.run(status, error, id);
  }

  markFailed(id: string, status: number | null, error: string): void {
    this.failedStmt.run(status, error, id);
  }
}
