/**
 * `core-meme-websocket/client`: a typed client of the server for Node (≥ 20, with `ws` or the
 * global WebSocket) and browsers (the server serves it as an ES module at `/client/index.js`). No
 * Node-only imports, no dependencies.
 *
 * @example
 * import { connect } from 'core-meme-websocket/client'
 * const client = connect('ws://localhost:3003')
 * client.subscribe('tokens', {}, (event) => event.type === 'data' && console.log(event.items))
 */
export { connect, RequestError } from './client.js'
export type { ChannelEvent, ChannelHandler, ClientEvents, ClientOptions, ClientState, GapReason, MemeClient, SubscribeParams, Subscription, WebSocketConstructor, WebSocketLike } from './client.js'
export { recentItems, type RecentItems } from './recent.js'
export { reconnectDelay } from './backoff.js'
export type { AlertItem, AlertType, Candle, Channel, ChannelItems, PriceItem, Severity, TokenItem, TradeItem } from '../protocol/items.js'
export type { ServerMessage, ConnectedMessage, SubscribedMessage, DataMessage, ReorgMessage, ErrorMessage } from '../protocol/serverMessages.js'
export type { ChannelParams } from '../protocol/clientMessages.js'
