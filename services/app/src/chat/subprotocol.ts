/** The gateway answers clients with this subprotocol and forwards it; the app accepts it too. */
export const WS_SUBPROTOCOL_APP = 'claraverse.v1'
