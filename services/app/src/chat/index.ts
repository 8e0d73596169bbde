export { ChatHub } from './hub.js'
export { chatSocketRoute, MAX_FRAME_BYTES } from './route.js'
export { echoProvider, openAiProvider, type Provider } from './providers.js'
export { WS_SUBPROTOCOL_APP } from './subprotocol.js'
