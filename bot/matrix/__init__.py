"""The Matrix adapter: `!partner <command>` in rooms, replies as notices, nudges by direct message.

`app.py` logs in, follows the homeserver's sync and wires the rest in one place: `invites`
decides which rooms to join, `chat` runs a message's command for its sender and threads the
reply onto it, `render` turns a neutral Reply into HTML with a plain-text fallback, `people`
maps Matrix users (and Element's mention pills) to people, `delivery` sends the scheduler's
nudges into a direct room per person, `account` keeps the login and the sync token in the
database, and `once` makes sure a message is only ever answered once. `crypto` keeps the
device's encryption store and decides whom room keys go to, `undecryptable` waits for keys that
have not come yet, and `polls` reads poll answers and 👍/👎 on proposals as responses.
"""
