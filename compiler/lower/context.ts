import type * as A from "../../language/ast.ts";
import type { NameResolution } from "../resolve-names.ts";
import type { TypeResult } from "../check-types.ts";
import type { AnnotationTypes } from "../type-of-annotation.ts";
import type { OpTable } from "./ops.ts";
import type { TypeSchemas } from "./type-schemas.ts";

/** What lowering one declaration needs from the whole program. */
export interface LowerContext {
  readonly names: NameResolution;
  readonly types: TypeResult;
  /** Written types (`let x: T`, `as T`, `wait signal -> T`) to checker types. */
  readonly annotations: AnnotationTypes;
  readonly schemas: TypeSchemas;
  readonly ops: OpTable;
  /** A module path as the IR writes it. */
  readonly path: (file: string) => string;
  /** The IR name of a unit or workflow. */
  readonly unitName: (decl: A.CallableDecl) => string;
}
