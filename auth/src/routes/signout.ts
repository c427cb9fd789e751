import { Router } from 'express';
import { endSession } from '../services/session';

export const signoutRouter = Router();

signoutRouter.post('/api/users/signout', (req, res) => {
  endSession(req);
  res.send({});
});
