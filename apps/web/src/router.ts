import { useEffect, useState } from 'preact/hooks';

export const BASE = '/ui';

/** A tiny history router: the API answers index.html for every /ui/ path, so deep links load the app. */
export function navigate(path: string, replace = false): void {
  const url = `${BASE}${path}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return path === '' ? '/' : path;
}

export function useRoute(): { path: string; search: URLSearchParams } {
  const [state, setState] = useState(() => ({ path: currentPath(), search: new URLSearchParams(location.search) }));
  useEffect(() => {
    const update = () => setState({ path: currentPath(), search: new URLSearchParams(location.search) });
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return state;
}

/** Intercepts plain left clicks on same-app links so navigation stays in the page. */
export function installLinkInterception(): void {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const href = anchor.getAttribute('href');
    if (!href || !href.startsWith(`${BASE}/`)) return;
    event.preventDefault();
    const url = new URL(href, location.origin);
    history.pushState(null, '', url.pathname + url.search);
    dispatchEvent(new PopStateEvent('popstate'));
  });
}

export const link = (path: string) => `${BASE}${path}`;
