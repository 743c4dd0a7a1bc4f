import type { EntityMetadata } from 'typeorm';
import { StripeSubscription } from './stripe-subscription.entity.js';

type RowMapper = (row: Record<string, unknown>) => StripeSubscription;

const mappers = new WeakMap<EntityMetadata, RowMapper>();

/**
 * Maps a `litestripe_subscription` row as `pg` returns it to the entity, through a column map
 * computed once per DataSource (column names, properties, transformers), for the reader's hot path
 * and the writer alike.
 */
export function subscriptionFromDatabase(metadata: EntityMetadata, row: Record<string, unknown>): StripeSubscription {
  let mapper = mappers.get(metadata);
  if (!mapper) mappers.set(metadata, (mapper = rowMapper(metadata)));
  return mapper(row);
}

function rowMapper(metadata: EntityMetadata): RowMapper {
  const columns = metadata.columns.map((column) => {
    const transformer = column.transformer && !Array.isArray(column.transformer) ? column.transformer : null;
    return [column.databaseName, column.propertyName, transformer ? (value: unknown) => transformer.from(value) : null] as const;
  });
  return (row) => {
    const subscription = new StripeSubscription() as unknown as Record<string, unknown>;
    for (const [name, property, from] of columns) subscription[property] = from ? from(row[name]) : row[name];
    return subscription as unknown as StripeSubscription;
  };
}
