"""User-facing strings, in one place."""

HELP = """*Social Inbox* — `/social <subcommand>`; every subcommand names the item `#N`.
• `inbox [mine] [waiting] [x|facebook|instagram] [page N]` — open items, oldest first, with their age (in a brand's channel, that brand's only)
• `brands` — the brands, their channels, accounts and connection health
• `draft N TEXT` — make TEXT the draft reply to #N (replaces an unsent draft)
• `approve N` · `reject N [reason]` — decide on #N's draft (approvers only)
• `schedule N WHEN` — send #N's draft at WHEN once approved: `in 10 minutes`, `tomorrow 9am`, `friday 14:00`, `2026-12-01 09:30` (your time zone)
• `queue` · `cancel N` — scheduled replies; take #N's off the schedule
• `ask-owner N QUESTION` — ask the owner about #N in a DM
• `claim N` · `assign N @someone` — take #N or hand it over
• `ignore N` · `spam N` — close #N without a reply
• `spam-list` — the last 50 items filtered as likely spam
• `report [7d|30d]` — response times and volume, posted in this channel with a chart
• `snippet add NAME TEXT` · `snippet list` · `snippet delete NAME` — saved replies for the Reply window
• `retry-slack` — send again what Slack refused, once the cause is fixed (approvers or a workspace admin)
• `help` — this message"""

UNKNOWN_SUBCOMMAND = "I don't know `{sub}`. Try `/social help` for the list, e.g. `/social draft 12 Thanks, we ship to Canada!`"
NEEDS_ITEM = "Say which item: `/social {sub} N{rest}` (N is the number after # on the item, e.g. `/social {sub} 12{rest}`)."
UNKNOWN_ITEM = "There is no item #{n}. `/social inbox` lists the open ones."
ITEM_CLOSED = "#{n} is already {state}; it takes no more replies."
EMPTY_DRAFT = "The reply is empty. Write it after the number: `/social draft {n} Thanks for asking!`"
TOO_LONG = "That reply is {length} characters; {platform} allows {limit}{note}. Shorten it and try again."
X_LINK_NOTE = " (every link counts as 23)"
ONLY_APPROVERS = "Only approvers can {verb} replies. Approvers: {approvers}."
NO_DRAFT = "#{n} has no draft waiting for approval. Write one with `/social draft {n} TEXT`."
DRAFT_NOT_PENDING = "That draft is {status}; only a draft awaiting approval can be {verb}."
DRAFT_SUPERSEDED = "That draft was replaced by a newer one; decide on the newest draft in the thread."
BEING_SENT = "#{n}'s reply is being sent right now; wait for the result in the thread."
NEEDS_USER = "Say who: `/social assign {n} @someone`."
RETRY_NOT_FAILED = "That reply has not failed, so there is nothing to retry."
NOT_IN_DOUBT = "That reply is not waiting for a decision, so there is nothing to mark as sent."

DRAFT_POSTED = "Draft for #{n} posted in its thread for approval."
APPROVED = "Approved #{n}'s reply; it is being sent."
APPROVED_SCHEDULED = "Approved #{n}'s reply; it goes out as scheduled."
REJECTED = "Rejected #{n}'s draft."
CLAIMED = "You claimed #{n}."
ASSIGNED = "#{n} is now <@{user}>'s."
CLOSED = "#{n} marked as {state}."

NOTE_CLAIMED = ":raising_hand: <@{user}> claimed this."
NOTE_ASSIGNED = ":point_right: <@{by}> assigned this to <@{user}>."
NOTE_CLOSED = ":no_entry_sign: <@{user}> marked this as {state}."
NOTE_REJECTED = ":x: <@{by}> rejected <@{author}>'s draft."
NOTE_APPROVED = ":white_check_mark: <@{by}> approved <@{author}>'s draft."
NOTE_PUBLISHED = ":rocket: Published on {platform}, approved by <@{by}>: {link}"
NOTE_RETRYING = (
    ":hourglass: {platform} did not take the reply ({reason}); retrying (attempt {attempt} of {limit})."
)
NOTE_FAILED = ":warning: Sending failed: {reason}"
NOTE_RETRY = ":repeat: <@{user}> asked to send the reply again."
NOTE_FOUND = " (its answer was lost: {reason}; the bot found the reply on {platform})"
NOTE_UNKNOWN = (
    ":grey_question: The reply may not have been sent: {reason}, and {checked}. "
    "Check {platform}, then press *Retry* to send it again or *Mark as sent* if it is there. "
    "Nothing more happens until someone chooses."
)
UNKNOWN_NOT_FOUND = "{platform} does not show it"
UNKNOWN_NOT_CHECKED = "{platform} could not be checked ({error})"
UNKNOWN_NO_LOOKUP = "the bot cannot search {platform} for it"
INTERRUPTED = "the bot stopped mid-send"
NOTE_MARKED_SENT = (
    ":white_check_mark: <@{user}> marked the reply as sent on {platform}. "
    "It is recorded without a link: the bot has no id for it."
)

GROUP_HEADER = ":busy_bee: *{n} comments and praise* · grouped while the channel is busy; each line's menu acts on that item"
LISTING_HEADER = ":rotating_light: *{n} questions and complaints* · each gets its own message at Slack's pace, oldest question first"
SPAM_HEADER = (
    ":no_entry: *Filtered as likely spam* · {hour}:00 UTC · {n} item(s); *Not spam* gives one its own message"
)
GROUP_MORE = "…and {n} more; `/social inbox` lists them."
SPAM_MORE = "…and {n} more; `/social spam-list` shows the last 50."
LINE_OWN_MESSAGE = ":arrow_right: in its own message"
SPAM_LIST_EMPTY = "Nothing was filtered as likely spam."
SPAM_LIST_HEADER = "*Filtered as likely spam* (newest first, last 50)"
NOT_SPAM = "#{n} is not spam; it gets its own message."
NOT_FILTERED = "#{n} was not filtered as spam."
NOTE_NOT_SPAM = ":white_check_mark: <@{user}> marked this as not spam."

INBOX_EMPTY = ":tada: Nothing open. Inbox zero."
INBOX_HEADER = "*Open items* (oldest first) · {total} open{filters} · page {page} of {pages}"
INBOX_NEXT = "Next page: `/social inbox {words}`"
INBOX_USAGE = (
    "I can't filter the inbox by `{word}`. Try `/social inbox mine`, `/social inbox waiting`, "
    "`/social inbox facebook` or `/social inbox page 2` (any mix)."
)

UNREADABLE_TIME = (
    "I can't read `{when}` as a time. Try `in 10 minutes`, `in 2 hours`, `tomorrow 9am`, `friday 14:00` "
    "or `2026-12-01 09:30` (read in your Slack time zone, {zone})."
)
PAST_TIME = "`{when}` is {local} in your time zone ({zone}), which has passed. Pick a time in the future."
NEEDS_WHEN = (
    "Say when: `/social schedule {n} in 10 minutes` (or `tomorrow 9am`, `friday 14:00`, `2026-12-01 09:30`)."
)
NO_UNSENT_DRAFT = "#{n} has no unsent draft to schedule. Write one first: `/social draft {n} TEXT`."
NOT_SCHEDULED = "#{n} has no scheduled reply."
SCHEDULED = "#{n}'s reply is scheduled for {local} ({zone}){approval}."
SCHEDULED_NEEDS_APPROVAL = "; it still needs an approval"
CANCELLED = "Took #{n}'s reply off the schedule; the draft waits for approval again."
QUEUE_EMPTY = "No replies are scheduled."
QUEUE_HEADER = "*Scheduled replies* (times in {zone})"

NOTE_SCHEDULED = ":alarm_clock: <@{user}> scheduled this reply for {when} (your time)."
NOTE_UNSCHEDULED = ":no_bell: <@{user}> took the reply off the schedule; the draft needs an approval again."
NOTE_LATE_APPROVAL = ":alarm_clock: Approved {late} after its scheduled time; sending now."
NOTE_WROTE_AGAIN = ":speech_balloon: <@{drafter}> the customer wrote again before the scheduled reply went out; check it still fits."

NO_OWNER = (
    "No owner is set, so there is nobody to ask. Set `OWNER_SLACK_USER` to the owner's Slack member ID "
    "(profile → ⋮ → Copy member ID) in `.env` and restart the bot."
)
NO_BRAND_OWNER = (
    "{brand} has no owner, so there is nobody to ask. Set `owner:` for brand `{key}` in the brands "
    "file to the owner's Slack member ID and restart the bot."
)
OTHER_BRAND = "#{n} belongs to {brand}; act on it in <#{channel}>."
BRAND_GONE = (
    "#{n} belongs to brand `{brand}`, which is not in the brands file any more, so it cannot be acted on."
)
DRAFT_GONE = "That draft no longer exists."
FORM_NOT_YOURS = (
    "This form was not opened by you from the item's message, or it was changed on the way, so nothing "
    "was done. Close it and open it again from the item's buttons."
)
BRANDS_HEADER = "*Brands* ({count})"
HEALTH_UNKNOWN = "unknown"
INBOX_BRAND_HEADING = "*{name}* · <#{channel}>"
INBOX_BRAND_GONE = "*{key}* · not in the brands file any more"
BRANDS_LINE = "*{name}* (`{key}`) · <#{channel}> · owner: {owner} · approvers: {approvers}"
BRANDS_ACCOUNT = "• {platform} `{account}`{channel} · {health}"
BRANDS_NO_ACCOUNTS = "• no accounts"
BRANDS_NOBODY = "not set"
BRANDS_ANYONE = "anyone"
NEEDS_QUESTION = "Say what to ask: `/social ask-owner {n} Can we offer a refund on this order?`"
ASKED = "Asked the owner about #{n}; the answer will come back in its thread."
NOT_OWNER = "Only the owner (<@{owner}>) can answer this question."
QUESTION_GONE = "That question no longer exists."
ANSWER_EMPTY = "The answer is empty."
NOTE_ASKED = ":bust_in_silhouette: <@{user}> asked the owner:"
NOTE_ANSWERED_HEADING = ":speech_balloon: The owner answered <@{asker}>'s question:"
NOTE_EDITED = ":pencil2: The author edited this comment. It now reads:"
NOTE_REMOVED = ":wastebasket: The author removed this comment."
NOTE_REMINDED = ":bell: Reminded the owner ({count} of {limit}); still no answer after {waited}."
DM_REMINDER = ":bell: Reminder: the team is still waiting for your answer (asked {waited} ago). Reply in this thread or press Answer."
DM_THANKS = ":white_check_mark: Thanks! Your answer is in #{n}'s thread for the team."
USED_AS_REPLY = "The owner's answer is now #{n}'s draft; it still needs an approval."

SOMETHING_WENT_WRONG = (
    ":warning: Something went wrong on our side; nothing was changed or sent. "
    "Please try again, and if it keeps happening tell your admin the reference `{ref}`."
)

# The first-response clock.
CLOCK_LEFT = ":stopwatch: {left} left to first reply"
CLOCK_OVERDUE = ":rotating_light: *Overdue*"
NOTE_NUDGE = ":hourglass: #{n} has {left} left to its first reply. {who}"
NOTE_OVERDUE = ":rotating_light: #{n} is *Overdue*: its first reply is past the target. {who}"
NUDGE_CLAIMED = "<@{user}>, you claimed it."
NUDGE_UNCLAIMED = "Nobody has claimed it: `Claim` it or reply."

# Saved replies.
SNIPPET_USAGE = "Saved replies: `/social snippet add NAME TEXT`, `/social snippet list`, `/social snippet delete NAME` (NAME like `shipping-times`)."
SNIPPET_BAD_NAME = "A saved reply's name is 1 to 40 letters, digits, `-` or `_`, e.g. `/social snippet add shipping-times We ship in 2 days.`"
SNIPPET_EMPTY = "The saved reply `{name}` has no text. Write it after the name: `/social snippet add {name} Thanks for asking!`"
SNIPPET_TOO_LONG = "A saved reply holds up to {limit} characters; shorten it and try again."
SNIPPET_FULL = (
    "This brand already has {limit} saved replies; delete one with `/social snippet delete NAME` first."
)
SNIPPET_EXISTS = (
    "There is already a saved reply `{name}`. Delete it first with `/social snippet delete {name}`."
)
SNIPPET_UNKNOWN = "There is no saved reply `{name}`. `/social snippet list` shows them."
SNIPPET_GONE = "That saved reply was deleted; pick another one."
SNIPPET_ADDED = "Saved reply `{name}` added; it is in the Reply window's menu."
SNIPPET_DELETED = "Saved reply `{name}` deleted."
SNIPPET_WHICH_BRAND = "Saved replies belong to a brand: run this in the brand's channel ({channels})."
SNIPPET_NONE = "No saved replies yet. Add one: `/social snippet add NAME TEXT`."

# Before a scheduled reply goes out.
NOTE_REMOVED_BEFORE_SEND = (
    ":wastebasket: The comment was removed on {platform}, so <@{author}>'s scheduled reply was not sent."
)
NOTE_HELD = ":double_vertical_bar: <@{author}>, the customer wrote again (#{n}) since you drafted this reply, so it was not sent. Does it still fit?"
NOTE_SEND_ANYWAY = ":outbox_tray: <@{user}> chose Send anyway."
NOT_HELD = "That reply is not on hold any more; see the thread for what happened to it."
SEND_ANYWAY_WHO = "Only <@{author}>, who drafted it, or an approver can send a held reply."

# Reports.
REPORT_USAGE = "Say which period: `/social report 7d` (the default) or `/social report 30d`."
REPORT_POSTED = "Report for the last {days} days posted in this channel."
REPORT_FAILED = "The report could not be posted here ({error}); invite the bot to this channel and try again."
SLACK_PARKED = (
    ":warning: Slack refused a message about #{n}{where}: `{error}`. {fix} "
    "Other items are not held up. Once fixed, an approver or a workspace admin types `/social retry-slack` "
    "to send what waits."
)
FIX_CHANNEL_NOT_FOUND = (
    "The channel no longer exists: set the account's channel to one that does and restart the bot."
)
FIX_NOT_IN_CHANNEL = "Invite the bot to the channel (`/invite @Social Inbox`)."
FIX_IS_ARCHIVED = (
    "The channel is archived: unarchive it, or point the account at another channel and restart the bot."
)
FIX_REFUSED_MESSAGE = (
    "Slack will not take this message as it is; the text of the item is in the database and the log names it."
)
FIX_TOKEN = "Reinstall the Slack app or set a valid SLACK_BOT_TOKEN, then restart the bot."
FIX_BUG = "This is a bug in Social Inbox; the log has the details (event relay.task_crashed)."
RETRIED_SLACK = "Sending {n} message(s) that Slack refused again, in order."
NOTHING_PARKED = "Nothing is waiting: every message reached Slack."
RETRY_SLACK_WHO = (
    "Only {brand}'s approvers ({approvers}) or a workspace admin can send the messages Slack refused "
    "again. Nothing was sent."
)
RETRY_SLACK_NOBODY = (
    "Only a brand's approvers or a workspace admin can send the messages Slack refused again, and you "
    "approve no brand. Nothing was sent; ask an approver to type `/social retry-slack` in their brand's channel."
)
SLACK_MARKUP = (
    "#{n}'s draft still holds Slack-only markup: {markup}. The customer would see it as is. "
    "Edit the draft: write the person's name (`@Dana`) instead of a mention, the channel's name or "
    "nothing instead of a channel link, leave out `@here`/`@channel`, and write links out "
    "(`https://shop.com`). Then approve again."
)

# Meta's messaging window (Messenger, Instagram DM): a standard reply only within 24 h of the customer's last message.
WINDOW_CLOSED = (
    "#{n} can no longer be answered on {platform}: Meta allows a reply only within {hours} hours of the "
    "customer's last message, and that window closed {ago} ago ({when}). It opens again when the customer writes again."
)
WINDOW_CLOSES_BEFORE_SEND = (
    "#{n}'s reply is scheduled for {send_at}, but Meta's {hours}-hour window to answer on {platform} closes "
    "{closes}. Send it sooner (`/social schedule {n} in 10 minutes`) or approve a draft without a time."
)
NOTE_WINDOW_CLOSING = (
    ":hourglass: Less than an hour left to answer on {platform}: Meta refuses replies after {closes} "
    "({hours} hours after the customer's last message)."
)
WINDOW_OPEN_LINE = ":hourglass_flowing_sand: Reply window: {left} left · closes {closes}"
WINDOW_CLOSED_LINE = (
    ":no_entry: Reply window closed {closes}; Meta accepts a reply again when the customer writes"
)
NOTE_HELD_FOR_REVIEW = (
    ":shield: Held for review on {platform}: the comment is hidden until someone approves it there."
)
NOTE_HOLD_FAILED = (
    ":warning: Could not hold the comment for review on {platform}: {reason}. "
    "It is still public; hide it on {platform} itself."
)
