import type { PublishMeta } from '@ticketing/common';
import { SERVICE_NAME } from '../../config';

/** Metadata of every event we store: the request (or incoming event) it came from travels on. */
export const eventMeta = (requestId?: string): PublishMeta => ({ requestId, source: SERVICE_NAME });
