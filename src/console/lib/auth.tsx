import { createContext, useContext } from 'react';
import type { ApiClient } from '../api/client';
import type { Team } from '../api/types';

export interface Auth {
  api: ApiClient;
  team: Team;
  signOut: (reason?: string) => void;
}

export const AuthContext = createContext<Auth | null>(null);

/** The signed-in client; pages render only inside the signed-in shell. */
export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (auth === null) throw new Error('useAuth outside the signed-in console');
  return auth;
}

export function useApi(): ApiClient {
  return useAuth().api;
}
