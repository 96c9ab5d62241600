// The behaviour of the hub's chat page (index.html). It speaks only the hub's client API:
//   GET  /client/v1/users, /client/v1/conversations?user=, /client/v1/messages?conv_type=&conv_id=[&user=]
//   POST /client/v1/messages          send text, or media that is already in the store
//   PUT  /media/{uid}/{file_name}     upload a file (XMLHttpRequest, so upload progress can be shown)
//   GET  /client/v1/events?user=      the live stream of the user's messages (EventSource, which reconnects itself)
//   GET  /client/v1/rooms/{id}, /client/v1/groups/{id}, POST .../enter|leave and .../join|leave   membership
//   POST /client/v1/presence          offline when the user switches (which leaves every room)
// As on the service, a room message reaches only the people in the room as it is sent: opening a room enters it,
// its history shows only what was sent while the user was in it, and the header's button leaves or enters again.
// Every failure is shown in the page: a banner while the hub cannot be reached, a message above the composer
// when a send or an upload is refused.
'use strict';

/** Where the chosen user name is remembered. */
const USER_KEY = 'zimbot.user';
/** The service's limit on user and conversation ids. */
const MAX_ID_BYTES = 32;
/** Longest file name the media store accepts, in bytes. */
const MAX_FILE_NAME_BYTES = 150;
/** How long to wait before opening the event stream again after the hub refused or dropped it. */
const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000];

const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg', 'tif', 'tiff', 'heic'];
const AUDIO_EXTENSIONS = ['mp3', 'm4a', 'wav', 'ogg', 'aac', 'flac', 'opus'];
const VIDEO_EXTENSIONS = ['mp4', 'm4v', 'mov', 'webm'];

const state = {
  /** The signed-in user id, or null. */
  user: null,
  /** user_id -> { name, is_bot }, from /client/v1/users. */
  users: new Map(),
  /** conversation key -> { type, id, lastTime, unread }, for the side list. */
  conversations: new Map(),
  /** The open conversation: { type, id } (for a peer chat `id` is the other user), or null. */
  current: null,
  /** Ids of the messages shown, so a message from both the history and the stream is shown once. */
  shown: new Set(),
  /** Counts conversation switches, so an answer for a conversation that is no longer open is dropped. */
  generation: 0,
  /** The event stream, its reconnect attempt and whether it has been lost since it last opened. */
  events: null,
  reconnectAttempt: 0,
  reconnectTimer: null,
  streamLost: false,
  /** The upload in progress (an XMLHttpRequest), or null. */
  upload: null,
  /** The user's place in the open room or group, { member, disbanded }, once known; null otherwise. */
  membership: null,
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------------------------
// Talking to the hub

/** A request the hub answered with an error status; `message` is the hub's explanation. */
class HubError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Calls the client API and answers its JSON. Network failures raise the banner; error answers throw HubError. */
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    showBanner(`The hub at ${location.host} cannot be reached. Is zimbot still running?`);
    throw new Error(`the hub at ${location.host} cannot be reached`);
  }
  if (!state.streamLost) hideBanner();
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  if (!response.ok) {
    const reason = body && body.error ? body.error : `${response.status} ${response.statusText}`;
    throw new HubError(response.status, reason);
  }
  return body;
}

function postJson(path, value) {
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function byteLength(text) {
  return new TextEncoder().encode(text).length;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatTime(millis) {
  const date = new Date(millis);
  const today = new Date();
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === today.toDateString()) return time;
  return `${date.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

/** Creates an element with a class and, optionally, text (always as text, never as HTML). */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function displayName(userId) {
  const user = state.users.get(userId);
  if (user && user.name) return user.name;
  return userId.startsWith('@RBT#') ? userId.slice(5) : userId;
}

function isBot(userId) {
  const user = state.users.get(userId);
  return user ? user.is_bot : userId.startsWith('@RBT#');
}

function initials(text) {
  const letters = text.replace(/^@RBT#/, '').replace(/[^\p{L}\p{N} ]/gu, ' ').trim().split(/\s+/);
  const first = (letters[0] || '?').charAt(0);
  const second = letters.length > 1 ? letters[1].charAt(0) : '';
  return (first + second).toUpperCase() || '?';
}

function fillAvatar(node, kind, label) {
  node.className = `avatar ${kind}`;
  node.textContent = kind === 'room' ? '#' : kind === 'group' ? '⁂' : initials(label);
}

function conversationKey(type, id) {
  return `${type}:${id}`;
}

/** Which conversation of the signed-in user a message belongs to, as { type, id }, or null if none of theirs. */
function conversationOf(message) {
  if (message.conv_type !== 'peer') return { type: message.conv_type, id: message.conv_id };
  if (message.from === state.user) return { type: 'peer', id: message.conv_id };
  if (message.conv_id === state.user) return { type: 'peer', id: message.from };
  return null;
}

const TYPE_LABELS = { room: 'Room', group: 'Group', peer: 'Chat' };

// ---------------------------------------------------------------------------------------------------------------
// Banner and errors

function showBanner(text) {
  $('banner-text').textContent = text;
  $('banner').hidden = false;
}

function hideBanner() {
  $('banner').hidden = true;
}

function showChatError(text) {
  $('chat-error-text').textContent = text;
  $('chat-error').hidden = false;
}

function hideChatError() {
  $('chat-error').hidden = true;
}

// ---------------------------------------------------------------------------------------------------------------
// Signing in

function checkUserName(name) {
  if (!name) return 'Choose a user name.';
  if (byteLength(name) > MAX_ID_BYTES) return `A user name is at most ${MAX_ID_BYTES} bytes.`;
  if (name.startsWith('@RBT#')) return 'Names starting with @RBT# belong to bots; choose another.';
  return null;
}

function showSignIn() {
  state.user = null;
  $('app').hidden = true;
  $('sign-in').hidden = false;
  $('user-name').value = localStorage.getItem(USER_KEY) || '';
  $('user-name').focus();
}

function signIn(name) {
  state.user = name;
  localStorage.setItem(USER_KEY, name);
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('me-name').textContent = name;
  fillAvatar($('me-avatar'), '', name);
  state.conversations.clear();
  renderConversations();
  closeConversation();
  connectEvents();
  refreshUsers();
  refreshConversations();
  openFromHash();
}

// ---------------------------------------------------------------------------------------------------------------
// Users and the side list

async function refreshUsers() {
  let answer;
  try {
    answer = await api('/client/v1/users');
  } catch (error) {
    return;
  }
  state.users = new Map(answer.users.map((user) => [user.user_id, user]));
  renderBots();
  const options = $('known-users');
  options.replaceChildren(
    ...answer.users
      .filter((user) => user.user_id !== state.user)
      .map((user) => {
        const option = document.createElement('option');
        option.value = user.user_id;
        option.label = user.name || user.user_id;
        return option;
      }),
  );
  renderConversations();
  renderHeader();
}

async function refreshConversations() {
  if (!state.user) return;
  let answer;
  try {
    answer = await api(`/client/v1/conversations?user=${encodeURIComponent(state.user)}`);
  } catch (error) {
    return;
  }
  for (const summary of answer.conversations) {
    const key = conversationKey(summary.conv_type, summary.conv_id);
    const known = state.conversations.get(key);
    const lastTime = Math.max(summary.last_time, known ? known.lastTime : 0);
    state.conversations.set(key, {
      type: summary.conv_type,
      id: summary.conv_id,
      lastTime,
      unread: known ? known.unread : false,
    });
  }
  renderConversations();
}

function sideButton(kind, label, detail, time, current, onClick) {
  const item = document.createElement('li');
  const button = element('button');
  button.type = 'button';
  const avatar = element('span');
  fillAvatar(avatar, kind, label);
  const text = element('span', 'side-item-text');
  text.append(element('span', 'side-item-name', label), element('span', 'side-item-detail', detail));
  button.append(avatar, text);
  if (time) button.append(element('span', 'side-item-time', time));
  button.setAttribute('aria-current', current ? 'true' : 'false');
  button.addEventListener('click', onClick);
  item.append(button);
  return { item, button };
}

function isCurrent(type, id) {
  return state.current !== null && state.current.type === type && state.current.id === id;
}

function renderBots() {
  const bots = [...state.users.values()].filter((user) => user.is_bot);
  $('bot-list').replaceChildren(
    ...bots.map((bot) => {
      const { item, button } = sideButton('bot', bot.name || displayName(bot.user_id), bot.user_id, '',
        isCurrent('peer', bot.user_id), () => openConversation('peer', bot.user_id));
      button.dataset.user = bot.user_id;
      return item;
    }),
  );
  $('bot-empty').hidden = bots.length > 0;
}

function renderConversations() {
  const entries = [...state.conversations.values()].sort((a, b) => b.lastTime - a.lastTime);
  $('conversation-list').replaceChildren(
    ...entries.map((entry) => {
      const peer = entry.type === 'peer';
      const label = peer ? displayName(entry.id) : entry.id;
      const kind = peer ? (isBot(entry.id) ? 'bot' : '') : entry.type;
      const detail = peer ? (isBot(entry.id) ? 'Bot' : 'Person') : TYPE_LABELS[entry.type];
      const { item, button } = sideButton(kind, label, detail, entry.lastTime ? formatTime(entry.lastTime) : '',
        isCurrent(entry.type, entry.id), () => openConversation(entry.type, entry.id));
      button.dataset.conversation = conversationKey(entry.type, entry.id);
      if (entry.unread) button.append(element('span', 'side-item-unread'));
      return item;
    }),
  );
  $('conversation-empty').hidden = entries.length > 0;
}

/** Notes activity in a conversation for the side list. */
function noteActivity(conversation, time) {
  const key = conversationKey(conversation.type, conversation.id);
  const known = state.conversations.get(key);
  state.conversations.set(key, {
    type: conversation.type,
    id: conversation.id,
    lastTime: Math.max(time, known ? known.lastTime : 0),
    unread: !isCurrent(conversation.type, conversation.id),
  });
  renderConversations();
}

// ---------------------------------------------------------------------------------------------------------------
// The open conversation

function renderHeader() {
  const current = state.current;
  if (!current) {
    fillAvatar($('chat-icon'), 'none', '');
    $('chat-title').textContent = 'No conversation open';
    $('chat-subtitle').textContent = 'Pick one on the left, or open a new one.';
    return;
  }
  const title = $('chat-title');
  if (current.type === 'peer') {
    const bot = isBot(current.id);
    fillAvatar($('chat-icon'), bot ? 'bot' : '', displayName(current.id));
    title.replaceChildren(document.createTextNode(displayName(current.id)));
    if (bot) title.append(element('span', 'badge', 'BOT'));
    $('chat-subtitle').textContent = `${bot ? 'Bot' : 'Person'} · ${current.id}`;
  } else {
    fillAvatar($('chat-icon'), current.type, current.id);
    title.textContent = current.id;
    $('chat-subtitle').textContent = current.type === 'room'
      ? 'Room · everyone in the room now sees what you send; nothing is kept for those who are not'
      : 'Group · every member sees what you send';
  }
}

function closeConversation() {
  state.current = null;
  state.membership = null;
  renderMembership();
  state.generation += 1;
  state.shown.clear();
  $('messages').replaceChildren();
  $('messages').hidden = true;
  $('welcome').hidden = false;
  setComposerEnabled(false);
  renderHeader();
}

function setComposerEnabled(enabled) {
  for (const id of ['message-text', 'send', 'attach']) $(id).disabled = !enabled;
}

async function openConversation(type, id) {
  hideChatError();
  state.current = { type, id };
  state.membership = null;
  state.generation += 1;
  state.shown.clear();
  const key = conversationKey(type, id);
  const known = state.conversations.get(key);
  if (known) known.unread = false;
  history.replaceState(null, '', `#${type}/${encodeURIComponent(id)}`);
  $('welcome').hidden = true;
  const list = $('messages');
  list.replaceChildren();
  list.hidden = false;
  list.dataset.conversation = key;
  setComposerEnabled(true);
  renderHeader();
  renderMembership();
  renderBots();
  renderConversations();
  $('message-text').focus();
  // A client app is in a room to hear it: opening one enters it (creating it when it does not exist).
  if (type === 'room') await changeMembership('enter');
  else if (type === 'group') await refreshMembership();
  await loadHistory();
}

// ---------------------------------------------------------------------------------------------------------------
// Entering and leaving rooms, joining and leaving groups

/** The client API path of the open room or group. */
function membershipPath(current) {
  return `/client/v1/${current.type === 'room' ? 'rooms' : 'groups'}/${encodeURIComponent(current.id)}`;
}

function applyMembership(answer) {
  state.membership = {
    member: Array.isArray(answer.members) && answer.members.includes(state.user),
    disbanded: answer.disbanded === true,
  };
  renderMembership();
}

/** The header's button: leave the open room or group, or enter or join it; a disbanded group cannot be joined. */
function renderMembership() {
  const button = $('membership');
  const current = state.current;
  if (!current || current.type === 'peer' || !state.membership) {
    button.hidden = true;
    return;
  }
  const { member, disbanded } = state.membership;
  const room = current.type === 'room';
  button.hidden = false;
  button.disabled = disbanded && !member;
  button.dataset.change = member ? 'leave' : room ? 'enter' : 'join';
  if (disbanded && !member) button.textContent = 'Disbanded';
  else if (member) button.textContent = room ? 'Leave room' : 'Leave group';
  else button.textContent = room ? 'Enter room' : 'Join group';
}

/** Reads whether the user is in the open room or group. */
async function refreshMembership() {
  const current = state.current;
  if (!current || current.type === 'peer') return;
  const generation = state.generation;
  let answer;
  try {
    answer = await api(membershipPath(current));
  } catch (error) {
    return;
  }
  if (generation === state.generation) applyMembership(answer);
}

/** Enters or leaves the open room, joins or leaves the open group (`action`: enter, leave or join). */
async function changeMembership(action) {
  const current = state.current;
  if (!current || current.type === 'peer') return;
  const generation = state.generation;
  $('membership').disabled = true;
  try {
    const answer = await postJson(`${membershipPath(current)}/${action}`, { user: state.user });
    if (generation === state.generation) applyMembership(answer);
  } catch (error) {
    if (generation !== state.generation) return;
    showChatError(`Could not ${action} ${current.type} ${current.id}: ${error.message}`);
    await refreshMembership();
  }
}

/** Loads the open conversation's latest messages and merges them with what the stream already showed. */
async function loadHistory() {
  const current = state.current;
  if (!current) return;
  const generation = state.generation;
  const query = new URLSearchParams({ conv_type: current.type, conv_id: current.id, limit: '200' });
  // For a room, only what reached this user while in it.
  if (current.type !== 'group') query.set('user', state.user);
  let answer;
  try {
    answer = await api(`/client/v1/messages?${query}`);
  } catch (error) {
    if (generation === state.generation) showChatError(`Could not load the history: ${error.message}`);
    return;
  }
  if (generation !== state.generation) return;
  for (const message of answer.messages) showMessage(message);
  if (answer.messages.length === 0 && state.shown.size === 0) {
    $('messages').replaceChildren(element('li', 'messages-empty', 'No messages yet. Say hello!'));
  }
  scrollToEnd(true);
}

function openFromHash() {
  const match = /^#(room|group|peer)\/(.+)$/.exec(location.hash);
  if (!match) return;
  let id;
  try {
    id = decodeURIComponent(match[2]);
  } catch (error) {
    return;
  }
  openConversation(match[1], id);
}

function scrollToEnd(force) {
  const list = $('messages');
  const nearEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 160;
  if (force || nearEnd) list.scrollTop = list.scrollHeight;
}

/** Shows a message of the open conversation in seq order, once. */
function showMessage(message) {
  if (state.shown.has(message.id)) return;
  state.shown.add(message.id);
  const list = $('messages');
  const placeholder = list.querySelector('.messages-empty');
  if (placeholder) placeholder.remove();
  const node = renderMessage(message);
  const later = [...list.children].find((child) => Number(child.dataset.seq) > message.seq);
  list.insertBefore(node, later || null);
  scrollToEnd(message.from === state.user);
}

function renderMessage(message) {
  const mine = message.from === state.user;
  const item = element('li', 'message');
  item.classList.toggle('mine', mine);
  item.classList.toggle('bot', message.is_bot);
  item.dataset.id = message.id;
  item.dataset.seq = String(message.seq);
  item.dataset.from = message.from;
  item.dataset.type = message.type;

  const avatar = element('span');
  fillAvatar(avatar, message.is_bot ? 'bot' : '', displayName(message.from));
  avatar.setAttribute('aria-hidden', 'true');

  const bubble = element('div', 'bubble');
  const meta = element('div', 'message-meta');
  meta.append(element('span', 'message-sender', mine ? 'You' : displayName(message.from)));
  if (message.is_bot) meta.append(element('span', 'badge', 'BOT'));
  const time = element('time', 'message-time', formatTime(message.time));
  time.dateTime = new Date(message.time).toISOString();
  time.title = new Date(message.time).toLocaleString();
  meta.append(time);
  bubble.append(meta);

  if (message.media) {
    bubble.append(renderMedia(message.media));
  } else if (message.text !== undefined) {
    bubble.append(element('p', 'message-text', message.text));
  } else {
    bubble.append(element('p', 'message-text', `(a ${message.type} message)`));
  }
  item.append(avatar, bubble);
  return item;
}

/**
 * The media URL as an absolute http(s) URL, or null. A message's URL comes from whoever sent it (the Server API
 * takes any text, as the service does), so it is checked here, when it is rendered: `javascript:`, `data:` and
 * other schemes never become a link or a source.
 */
function safeMediaUrl(url) {
  if (typeof url !== 'string') return null;
  let parsed;
  try {
    parsed = new URL(url, window.location.href);
  } catch (error) {
    return null;
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
}

function renderMedia(media) {
  const url = safeMediaUrl(media.url);
  const name = media.file_name || String(media.url || '').split('/').pop() || 'file';
  if (url === null) {
    // Shown, never followed: the reader sees that something was sent and why it is not a link.
    return element('p', 'media media-refused', `${name} (not shown: its address is not an http or https link)`);
  }
  media = { ...media, url };
  if (media.kind === 'image') {
    const figure = element('figure', 'media media-image');
    const link = element('a');
    link.href = media.url;
    link.target = '_blank';
    link.rel = 'noopener';
    const image = element('img');
    image.src = media.url;
    image.alt = name;
    // Keep the view pinned to the newest message once the picture has its real height.
    image.addEventListener('load', () => scrollToEnd(false));
    link.append(image);
    figure.append(link);
    return figure;
  }
  if (media.kind === 'audio' || media.kind === 'video') {
    const figure = element('figure', `media media-${media.kind}`);
    const player = element(media.kind);
    player.controls = true;
    player.preload = 'metadata';
    player.src = media.url;
    figure.append(player, element('figcaption', '', `${name} · ${formatSize(media.file_size)}`));
    return figure;
  }
  const link = element('a', 'media file-link');
  link.href = media.url;
  link.download = name;
  const extension = name.includes('.') ? name.split('.').pop().slice(0, 4) : 'file';
  const text = element('span', 'file-text');
  text.append(element('span', 'file-name', name), element('span', 'file-size', formatSize(media.file_size)));
  link.append(element('span', 'file-icon', extension), text);
  return link;
}

// ---------------------------------------------------------------------------------------------------------------
// The live event stream

function connectEvents() {
  clearTimeout(state.reconnectTimer);
  if (state.events) state.events.close();
  const source = new EventSource(`/client/v1/events?${new URLSearchParams({ user: state.user })}`);
  state.events = source;
  source.addEventListener('open', () => {
    state.reconnectAttempt = 0;
    if (state.streamLost) {
      state.streamLost = false;
      hideBanner();
      // Messages sent while the stream was down are only in the history.
      resynchronise();
    }
  });
  source.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    receive(message);
  });
  source.addEventListener('lagged', () => resynchronise());
  source.addEventListener('error', () => {
    if (state.events !== source) return;
    state.streamLost = true;
    showBanner('Lost the connection to the hub. Reconnecting…');
    // EventSource retries by itself after a dropped connection, but gives up for good after a refused one.
    if (source.readyState === EventSource.CLOSED) {
      const delay = RECONNECT_DELAYS_MS[Math.min(state.reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)];
      state.reconnectAttempt += 1;
      state.reconnectTimer = setTimeout(connectEvents, delay);
    }
  });
}

function receive(message) {
  const conversation = conversationOf(message);
  if (!conversation) return;
  if (!state.users.has(message.from)) refreshUsers();
  if (isCurrent(conversation.type, conversation.id)) showMessage(message);
  noteActivity(conversation, message.time);
}

async function resynchronise() {
  refreshUsers();
  refreshConversations();
  // A hub restart empties every room: a page that was in the open room goes back in, as a client app re-enters
  // its room after reconnecting (what was said meanwhile did not reach it, as on the service).
  if (state.current && state.current.type === 'room' && state.membership && state.membership.member) {
    await changeMembership('enter');
  } else {
    await refreshMembership();
  }
  loadHistory();
}

/** Tells the hub the user went offline (leaving every room), on switching to another user. */
function goOffline() {
  if (!state.user) return;
  const body = new Blob([JSON.stringify({ user: state.user, action: 'offline' })], { type: 'application/json' });
  navigator.sendBeacon('/client/v1/presence', body);
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

function target() {
  return { conv_type: state.current.type, conv_id: state.current.id };
}

async function sendText() {
  const input = $('message-text');
  const text = input.value;
  if (!state.current || text.trim() === '') return;
  hideChatError();
  $('send').disabled = true;
  try {
    const message = await postJson('/client/v1/messages', { from: state.user, ...target(), text });
    input.value = '';
    receive(message);
    // Posting enters the room or joins the group.
    if (state.membership && !state.membership.member) refreshMembership();
  } catch (error) {
    showChatError(`Your message was not sent: ${error.message}`);
  } finally {
    $('send').disabled = !state.current;
    input.focus();
  }
}

/** image, audio, video or file, from the MIME type and then the extension. */
function mediaKind(file) {
  const mime = file.type || '';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  const extension = file.name.includes('.') ? file.name.split('.').pop().toLowerCase() : '';
  if (IMAGE_EXTENSIONS.includes(extension)) return 'image';
  if (AUDIO_EXTENSIONS.includes(extension)) return 'audio';
  if (VIDEO_EXTENSIONS.includes(extension)) return 'video';
  return 'file';
}

/** A file name the media store accepts: no separators or control characters, no leading dot, not too long. */
function storeFileName(name) {
  let safe = name.replace(/[\/\\:\u0000-\u001f\u007f]/g, '_').replace(/^\.+/, '');
  if (!safe) safe = 'file';
  while (byteLength(safe) > MAX_FILE_NAME_BYTES) {
    const dot = safe.lastIndexOf('.');
    const extension = dot > 0 && safe.length - dot <= 10 ? safe.slice(dot) : '';
    safe = safe.slice(0, safe.length - extension.length - 1) + extension;
  }
  return safe;
}

function setProgress(loaded, total) {
  const percent = total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
  $('upload-progress').value = percent;
  $('upload-percent').textContent = `${percent} %`;
}

/** Explains why the store refused an upload. */
function uploadRefusal(file, status, body) {
  const reason = body && body.error ? body.error : '';
  if (status === 413) {
    const cap = /at most (\d+) bytes/.exec(reason);
    const limit = cap ? ` this hub accepts files up to ${formatSize(Number(cap[1]))}` : ' it is over the hub\'s size limit';
    return `“${file.name}” (${formatSize(file.size)}) is too large to upload:${limit} ` +
      '(the hub answered 413 Payload Too Large; the limit is zim.hub.max_upload_mb in bots.yaml).';
  }
  return `The upload of “${file.name}” was refused (${status}${reason ? `: ${reason}` : ''}).`;
}

/** Streams `file` into the media store, showing progress; resolves to the store's answer, { url, size }. */
async function uploadFile(file, fileName) {
  // The hub stores nothing without a token; it names the folder the file goes to.
  const grant = await postJson('/client/v1/uploads', { from: state.user });
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    state.upload = request;
    request.open('PUT', `/media/${encodeURIComponent(grant.uid)}/${encodeURIComponent(fileName)}`);
    request.setRequestHeader('Authorization', `Bearer ${grant.token}`);
    request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) setProgress(event.loaded, event.total);
    });
    request.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch (error) {
        body = null;
      }
      if (request.status === 200 && body && body.url) {
        setProgress(1, 1);
        resolve(body);
      } else {
        reject(new Error(uploadRefusal(file, request.status, body)));
      }
    });
    request.addEventListener('error', () => {
      reject(new Error(`The upload of “${file.name}” broke off: the hub closed the connection or cannot be reached.`));
    });
    request.addEventListener('abort', () => reject(new Error(`The upload of “${file.name}” was cancelled.`)));
    request.send(file);
  });
}

async function sendFile(file) {
  if (!state.current) return;
  if (state.upload) {
    showChatError('Another upload is still running; wait for it or cancel it first.');
    return;
  }
  hideChatError();
  const destination = target();
  const fileName = storeFileName(file.name);
  $('upload-name').textContent = file.name;
  setProgress(0, 1);
  $('upload').hidden = false;
  $('attach').disabled = true;
  try {
    const stored = await uploadFile(file, fileName);
    const media = { type: mediaKind(file), url: stored.url, file_name: fileName, file_size: stored.size };
    const message = await postJson('/client/v1/messages', { from: state.user, ...destination, media });
    receive(message);
  } catch (error) {
    showChatError(error instanceof HubError ? `The file was uploaded but not sent: ${error.message}` : error.message);
  } finally {
    state.upload = null;
    $('upload').hidden = true;
    $('attach').disabled = !state.current;
    $('file-input').value = '';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring

function openFromForm() {
  const type = $('open-type').value;
  const id = $('open-id').value.trim();
  const error = $('open-error');
  error.hidden = true;
  if (!id) {
    error.textContent = type === 'peer' ? 'Enter the user id to chat with.' : `Enter the ${type} id.`;
  } else if (byteLength(id) > MAX_ID_BYTES) {
    error.textContent = `An id is at most ${MAX_ID_BYTES} bytes.`;
  } else if (type === 'peer' && id === state.user) {
    error.textContent = 'That is you; pick someone else.';
  } else {
    $('open-id').value = '';
    openConversation(type, id);
    return;
  }
  error.hidden = false;
}

function updateOpenPlaceholder() {
  const placeholders = { room: 'e.g. lobby', group: 'e.g. team', peer: 'e.g. @RBT#echo' };
  $('open-id').placeholder = placeholders[$('open-type').value];
}

function wire() {
  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = $('user-name').value.trim();
    const problem = checkUserName(name);
    $('sign-in-error').textContent = problem || '';
    $('sign-in-error').hidden = !problem;
    if (!problem) signIn(name);
  });
  $('switch-user').addEventListener('click', () => {
    goOffline();
    if (state.events) state.events.close();
    state.events = null;
    clearTimeout(state.reconnectTimer);
    state.streamLost = false;
    hideBanner();
    localStorage.removeItem(USER_KEY);
    history.replaceState(null, '', location.pathname);
    showSignIn();
  });
  $('open-form').addEventListener('submit', (event) => {
    event.preventDefault();
    openFromForm();
  });
  $('open-type').addEventListener('change', updateOpenPlaceholder);
  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    sendText();
  });
  $('attach').addEventListener('click', () => $('file-input').click());
  $('file-input').addEventListener('change', () => {
    const file = $('file-input').files[0];
    if (file) sendFile(file);
  });
  $('upload-cancel').addEventListener('click', () => {
    if (state.upload) state.upload.abort();
  });
  $('chat-error-close').addEventListener('click', hideChatError);
  $('membership').addEventListener('click', () => changeMembership($('membership').dataset.change));
  $('banner-retry').addEventListener('click', () => {
    connectEvents();
    resynchronise();
  });
  for (const button of document.querySelectorAll('[data-open]')) {
    button.addEventListener('click', () => {
      const [type, id] = button.dataset.open.split(':');
      openConversation(type, id);
    });
  }

  // Files dropped on the conversation are sent like picked ones.
  const chat = $('chat');
  chat.addEventListener('dragover', (event) => {
    if (!state.current || !event.dataTransfer.types.includes('Files')) return;
    event.preventDefault();
    chat.classList.add('dropping');
  });
  chat.addEventListener('dragleave', () => chat.classList.remove('dropping'));
  chat.addEventListener('drop', (event) => {
    chat.classList.remove('dropping');
    if (!state.current || event.dataTransfer.files.length === 0) return;
    event.preventDefault();
    sendFile(event.dataTransfer.files[0]);
  });
  window.addEventListener('hashchange', () => {
    if (state.user) openFromHash();
  });
}

function start() {
  wire();
  const remembered = localStorage.getItem(USER_KEY);
  if (remembered && !checkUserName(remembered)) {
    signIn(remembered);
  } else {
    showSignIn();
  }
}

start();
