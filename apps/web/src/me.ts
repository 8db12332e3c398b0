import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Scope } from './api';
import { can } from './api';

export interface Me {
  name: string;
  scopes: Scope[];
}

export const MeContext = createContext<Me>({ name: '', scopes: [] });

/** What the signed-in key may do; screens hide what it may not. */
export function useCan(): (scope: Scope) => boolean {
  const me = useContext(MeContext);
  return (scope) => can(me.scopes, scope);
}
