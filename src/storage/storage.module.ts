import { Global, Module } from '@nestjs/common';
import type { ObjectStore } from './object-store.js';

export const OBJECT_STORE = Symbol('ObjectStore');

@Global()
@Module({})
export class StorageModule {
  static forRoot(store: ObjectStore) {
    return { module: StorageModule, providers: [{ provide: OBJECT_STORE, useValue: store }], exports: [OBJECT_STORE] };
  }
}
